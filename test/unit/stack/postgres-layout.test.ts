import {
  newestPostgresMajor,
  postgresRoot,
  SHARED_PG_ROOT,
} from '../../../src/stack/services/postgres-layout';

describe('postgresRoot', () => {
  it('stays in the state dir when the postgres user can reach it', () => {
    expect(postgresRoot('/work/repo/.stack', true)).toBe('/work/repo/.stack/postgres');
  });

  it('moves to a per-clone folder under /var/lib otherwise', () => {
    const a = postgresRoot('/root/a/.stack', false);
    const b = postgresRoot('/root/b/.stack', false);
    expect(a.startsWith(`${SHARED_PG_ROOT}/`)).toBe(true);
    expect(a).not.toBe(b);
    expect(postgresRoot('/root/a/.stack', false)).toBe(a);
  });
});

describe('newestPostgresMajor', () => {
  it('picks the highest numeric major, not the last in text order', () => {
    expect(newestPostgresMajor(['9', '15', '13', 'common'])).toBe('15');
  });
  it('is undefined when none is installed', () => {
    expect(newestPostgresMajor([])).toBeUndefined();
  });
});
