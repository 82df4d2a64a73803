import { ConfigError, loadConfig } from '../../../src/infrastructure/config/config';

describe('loadConfig: BACKGROUND_NICE', () => {
  it('runs the background threads 10 nice levels lower unless told otherwise; 0 keeps them equal', () => {
    expect(loadConfig({}).backgroundNice).toBe(10);
    expect(loadConfig({ BACKGROUND_NICE: '' }).backgroundNice).toBe(10);
    expect(loadConfig({ BACKGROUND_NICE: '0' }).backgroundNice).toBe(0);
    expect(loadConfig({ BACKGROUND_NICE: '19' }).backgroundNice).toBe(19);
  });

  it.each(['-1', '20', '2.5', 'low'])('refuses %p, naming the variable', (value) => {
    expect(() => loadConfig({ BACKGROUND_NICE: value })).toThrow(ConfigError);
    expect(() => loadConfig({ BACKGROUND_NICE: value })).toThrow(
      `BACKGROUND_NICE must be a whole number from 0 to 19, got "${value}"`,
    );
  });
});
