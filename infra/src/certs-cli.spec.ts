import { mkdtemp, readdir, rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_OUT_DIR, parseCertsArgs, runCertsCli } from './certs-cli';

function capture(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

describe('certs-cli', () => {
  it('defaults to two PLMNs, per-plmn CAs and infra/certs', () => {
    expect(parseCertsArgs([])).toEqual({
      outDir: DEFAULT_OUT_DIR,
      plmns: [{ mcc: '001', mnc: '01' }, { mcc: '002', mnc: '02' }],
      caMode: 'per-plmn',
      force: false,
    });
    expect(DEFAULT_OUT_DIR).toBe(path.resolve(__dirname, '..', 'certs'));
  });

  it('accepts repeated --plmn, --ca shared, --out and --force', () => {
    expect(parseCertsArgs(['--plmn', '310-410', '--plmn=208-093', '--ca', 'shared', '--out', 'x', '--force'])).toEqual({
      outDir: path.resolve('x'),
      plmns: [{ mcc: '310', mnc: '410' }, { mcc: '208', mnc: '093' }],
      caMode: 'shared',
      force: true,
    });
  });

  it('accepts --ipx FQDN (lower-cased), and refuses what is no FQDN', () => {
    expect(parseCertsArgs(['--ipx', 'IPX.Roaming.example.org'])).toMatchObject({ ipx: { fqdn: 'ipx.roaming.example.org' } });
    expect(parseCertsArgs([])).not.toHaveProperty('ipx');
    expect(() => parseCertsArgs(['--ipx', 'ipx..example'])).toThrow(/--ipx must be an FQDN/);
  });

  it('tolerates the `--` separator pnpm passes through', () => {
    expect(parseCertsArgs(['--', '--force'])).toMatchObject({ force: true });
  });

  it.each([
    [['--bogus']],
    [['--ca', 'both']],
    [['--plmn', '1-1']],
    [['--plmn', '001-01', '--plmn', '001-01']],
    [['positional']],
    [['--out']],
    [['--ipx', 'no_fqdn']],
    [['--ipx']],
  ])('exits 2 on %j', async (argv) => {
    const c = capture();
    // A harmless --out first, so a parser bug could never write into the real infra/certs.
    expect(await runCertsCli(['--out', path.join(os.tmpdir(), 'sepp-certs-never-written'), ...argv], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/usage: pnpm certs/);
    expect(c.out).toEqual([]);
  });

  it('prints one line per file, then nothing to do on a rerun', async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'sepp-certs-cli-'));
    try {
      const first = capture();
      expect(await runCertsCli(['--out', outDir, '--plmn', '001-01', '--ca', 'shared'], first.io)).toBe(0);
      const files = (await readdir(outDir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      expect(first.out).toHaveLength(files.length);
      expect(first.out.every((l) => l.startsWith('wrote '))).toBe(true);

      const second = capture();
      expect(await runCertsCli(['--out', outDir, '--plmn', '001-01', '--ca', 'shared'], second.io)).toBe(0);
      expect(second.out).toEqual([expect.stringContaining('use --force to regenerate')]);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
