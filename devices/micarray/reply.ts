import type { DeviceCommand, DeviceMessage } from './types.ts';

/**
 * Whether `message` answers `command`. Both protocols answer a get or set with the state it
 * reads or changes; they differ only in how they report talkers (`talker` per channel in the
 * ASCII strings, one `talkerZone` in the binary frames).
 */
export function replyMatcher(talkerKind: 'talker' | 'talkerZone'): (command: DeviceCommand, message: DeviceMessage) => boolean {
  return (command, message) => {
    switch (command.kind) {
      case 'getGain':
      case 'setGain':
        return message.kind === 'gain' && message.channel === command.channel;
      case 'getMute':
      case 'setMute':
        return message.kind === 'mute' && message.channel === command.channel;
      case 'getDeviceMute':
      case 'setDeviceMute':
        return message.kind === 'deviceMute';
      case 'setMeterRate':
        return message.kind === 'meterRate';
      case 'getTalkers':
        return message.kind === talkerKind;
    }
  };
}
