/** One thing wrong with a config file, where it is. */
export interface ConfigProblem {
  /** Dotted path into the config, e.g. `cameras.0.xaddr`; empty for the whole file. */
  path: string;
  message: string;
}
