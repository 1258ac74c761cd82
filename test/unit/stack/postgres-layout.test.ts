import * as layout from '../../../src/stack/services/postgres-layout';

describe('postgresRoot', () => {
  it('stays in the state dir when the postgres user can reach it', () => {
    expect(layout.postgresRoot('/work/repo/.stack', true)).toBe('/work/repo/.stack/postgres');
  });

  it('moves to a per-clone folder under /var/lib otherwise', () => {
    const a = layout.postgresRoot('/root/a/.stack', false);
    const b = layout.postgresRoot('/root/b/.stack', false);
    expect(a.startsWith(`${layout.SHARED_PG_ROOT}/`)).toBe(true);
    expect(a).not.toBe(b);
    expect(layout.postgresRoot('/root/a/.stack', false)).toBe(a);
  });
});

describe('newestPostgresMajor', () => {
  it('picks the highest numeric major, not the last in text order', () => {
    expect(layout.newestPostgresMajor(['9', '15', '13', 'common'])).toBe('15');
  });
  it('is undefined when none is installed', () => {
    expect(layout.newestPostgresMajor([])).toBeUndefined();
  });
});
