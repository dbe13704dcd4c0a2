import { loadConfig } from '@tickets/config';
import { LoginThrottle } from './login-throttle';

describe('failed-login limits', () => {
  const throttle = () =>
    new LoginThrottle(
      loadConfig({
        LOGIN_MAX_FAILURES_PER_USER: '3',
        LOGIN_MAX_FAILURES_PER_ADDRESS: '5',
        LOGIN_FAILURE_WINDOW_S: '900',
      }),
    );

  it('lets a user try until the per-user limit, then answers the seconds left in the window', () => {
    const limiter = throttle();
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfterS('dana', '10.0.0.1')).toBe(0);
      limiter.recordFailure('dana', '10.0.0.1');
    }
    const wait = limiter.retryAfterS('dana', '10.0.0.2');
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(900);
  });

  it('bounds one address across many user names', () => {
    const limiter = throttle();
    for (let i = 0; i < 5; i++) limiter.recordFailure(`user_${i}`, '10.0.0.9');
    expect(limiter.retryAfterS('someone_else', '10.0.0.9')).toBeGreaterThan(0);
    expect(limiter.retryAfterS('someone_else', '10.0.0.10')).toBe(0);
  });

  it("a successful login forgets the user's failures", () => {
    const limiter = throttle();
    for (let i = 0; i < 2; i++) limiter.recordFailure('dana', '10.0.0.1');
    limiter.recordSuccess('dana');
    limiter.recordFailure('dana', '10.0.0.1');
    expect(limiter.retryAfterS('dana', '10.0.0.1')).toBe(0);
  });
});
