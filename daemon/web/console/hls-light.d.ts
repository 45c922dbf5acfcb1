// hls.js ships the light build without its own typings; it is the same class, minus
// subtitles, alternate audio and DRM, which recordings do not use.
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
