import { checkBearer, isLoopback } from '../../../src/serve/web/auth';

describe('checkBearer', () => {
  const token = 'a-long-enough-token';
  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['   ', 'missing'],
    [`Bearer ${token}`, 'ok'],
    [`bearer ${token}`, 'ok'],
    [`Bearer   ${token}  `, 'ok'],
    [`Bearer ${token}x`, 'wrong'],
    [`Bearer ${token.slice(1)}`, 'wrong'],
    [`Basic ${token}`, 'malformed'],
    [token, 'malformed'],
    [`Bearer ${token} extra`, 'malformed'],
    ['Bearer', 'malformed'],
  ])('%p → %s', (header, outcome) => {
    expect(checkBearer(header, token)).toBe(outcome);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.10.0.3', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['192.168.1.5', false],
    ['::ffff:10.0.0.1', false],
    ['fe80::1', false],
    ['127.example.com', false],
    ['', false],
  ])('%p → %p', (ip, loopback) => {
    expect(isLoopback(ip)).toBe(loopback);
  });
});
