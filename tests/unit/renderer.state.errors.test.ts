import { describe, expect, it } from 'vitest';
import { RpcError } from '../../src/shared/contract';
import { errorCode, errorDetail, errorMessage } from '../../src/renderer/state/errors';

describe('reading a failure', () => {
  it('shows the message of any failure shape', () => {
    expect(errorMessage(new RpcError('conflict', 'Already accepted'))).toBe('Already accepted');
    expect(errorMessage(new TypeError('fetch failed'))).toBe('fetch failed');
    expect(errorMessage('socket closed')).toBe('socket closed');
    // An Error that crossed a process boundary as a plain object.
    expect(errorMessage({ name: 'Error', message: 'No handler registered' })).toBe('No handler registered');
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage({ code: 7 }, 'Unknown error from the console core')).toBe('Unknown error from the console core');
  });

  it('knows the contract’s codes and details only on an RpcError', () => {
    const err = new RpcError('unavailable', 'Server down', { directLine: '+1 555 0142', attempts: 3 });
    expect(errorCode(err)).toBe('unavailable');
    expect(errorCode(new Error('x'))).toBeNull();
    expect(errorDetail(err, 'directLine')).toBe('+1 555 0142');
    expect(errorDetail(err, 'attempts')).toBeNull();
    expect(errorDetail(new RpcError('conflict', 'x'), 'acceptedByName')).toBeNull();
    expect(errorDetail({ details: { directLine: 'x' } }, 'directLine')).toBeNull();
  });
});
