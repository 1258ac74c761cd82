import { parseSsOwner } from '../../../src/stack/port-owner';
import { renderTable } from '../../../src/stack/table';

describe('parseSsOwner', () => {
  it('names the program and pid from an ss line', () => {
    const line = 'LISTEN 0 50 127.0.0.1:9092 0.0.0.0:* users:(("java",pid=18628,fd=140))';
    expect(parseSsOwner(line)).toBe('java (pid 18628)');
  });
  it('is undefined when ss shows no process', () => {
    expect(parseSsOwner('LISTEN 0 50 127.0.0.1:9092 0.0.0.0:*')).toBeUndefined();
  });
});

describe('renderTable', () => {
  it('pads columns to the widest cell and leaves the last one unpadded', () => {
    expect(
      renderTable(
        ['A', 'BB', 'C'],
        [
          ['xxx', 'y', 'long note'],
          ['z', 'w', ''],
        ],
      ),
    ).toBe(['A    BB  C', 'xxx  y   long note', 'z    w'].join('\n'));
  });
});
