import { LOG_PERIOD_MS, OnceASecond } from './once-a-second';

describe('OnceASecond: refusals in floods, one line per key and second', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('the first at once; the rest of each second together with the last one\'s context; nothing for a quiet second, then at once again', () => {
    const lines: Array<[string, number, string]> = [];
    const log = new OnceASecond<string>((key, count, latest) => lines.push([key, count, latest]));
    log.note('a', 'a1');
    log.note('b', 'b1');
    expect(lines).toEqual([
      ['a', 1, 'a1'],
      ['b', 1, 'b1'],
    ]);
    for (let i = 2; i <= 5; i++) log.note('a', `a${i}`);
    jest.advanceTimersByTime(LOG_PERIOD_MS);
    expect(lines.slice(2)).toEqual([['a', 4, 'a5']]);
    log.note('a', 'a6');
    jest.advanceTimersByTime(LOG_PERIOD_MS);
    expect(lines.slice(3)).toEqual([['a', 1, 'a6']]);
    // A second without any ends the key's period; the next one is logged at once.
    jest.advanceTimersByTime(LOG_PERIOD_MS);
    expect(lines).toHaveLength(4);
    log.note('a', 'a7');
    expect(lines.slice(4)).toEqual([['a', 1, 'a7']]);
    expect(jest.getTimerCount()).toBe(1);
  });
});
