import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Holding every process a command starts, without a sandbox. A process group is not enough: `setsid` leaves it,
 * and a double fork hands the daemon to init. A *child subreaper* (Linux `PR_SET_CHILD_SUBREAPER`) is: every
 * orphan among its descendants is re-parented to it instead of init, whatever session or group it moved to and
 * whatever environment it cleared. Node cannot make that system call, so a few lines of Perl (perl-base is part
 * of every Debian and Ubuntu system, GitHub's runners included) sit between taskcap and the command's bash: they
 * become the subreaper, run the command, and when it ends (or taskcap asks, or taskcap dies) they freeze and kill
 * every descendant, over and over until none is left.
 *
 * What it cannot hold: a process that becomes another user (sudo) cannot be killed by the runner's user, and a
 * command can kill its reaper (same user); taskcap notices the latter and says so. The bubblewrap sandbox needs
 * none of this: its PID namespace dies with the command.
 */

/** `prctl`'s system call number by Node's architecture name (Perl's `syscall` takes the number). */
const PRCTL: Partial<Record<string, number>> = { x64: 157, arm64: 167, riscv64: 167, loong64: 167, arm: 172, ia32: 172, s390x: 172, ppc64: 171 };

/** Exit status of the reaper when it could not become a subreaper (nothing was run). */
export const REAPER_UNAVAILABLE = 125;

export const REAPER_SCRIPT = String.raw`
use strict; use warnings; use POSIX qw(WNOHANG);
my $nr = shift @ARGV;
# PR_SET_CHILD_SUBREAPER: orphaned descendants come to this process, not to init.
syscall($nr, 36, 1, 0, 0, 0) == 0 or exit ${REAPER_UNAVAILABLE};
# PR_SET_PDEATHSIG: if taskcap dies, this process gets SIGTERM and takes everything down.
syscall($nr, 1, 15, 0, 0, 0);
sub descendants {
  my %kids;
  opendir(my $d, '/proc') or return ();
  for my $p (grep { /^\d+$/ } readdir $d) {
    open(my $f, '<', "/proc/$p/stat") or next;
    my $s = <$f>;
    # The last ')' ends the command name (which may itself hold ') ').
    push @{$kids{$1}}, $p if defined $s && $s =~ /.*\)\s+\S+\s+(\d+)/s;
  }
  my (@out, @todo);
  @todo = ($$);
  while (@todo) { my $x = shift @todo; for my $c (@{$kids{$x} || []}) { push @out, $c; push @todo, $c; } }
  return @out;
}
my $child;
sub reap_all {
  my $deadline = time + 30;
  # The command's own process group first, again until it is empty: a fork bomb refills it while it is killed.
  if ($child) {
    while (kill('KILL', -$child) > 0) {
      1 while waitpid(-1, WNOHANG) > 0;
      last if time > $deadline;
      select(undef, undef, undef, 0.001);
    }
  }
  # Then whatever left the group (setsid, double forks), found as descendants: frozen, then killed.
  while (1) {
    1 while waitpid(-1, WNOHANG) > 0;
    my @d = descendants();
    last unless @d;
    kill 'STOP', @d;   # a stopped process cannot fork any more
    kill 'KILL', @d, descendants();
    1 while waitpid(-1, WNOHANG) > 0;
    if (time > $deadline) {
      my $left = () = descendants();
      print STDERR "[taskcap: $left process(es) the command started could not be stopped (another user's, e.g. through sudo)]\n" if $left;
      last;
    }
    select(undef, undef, undef, 0.002);
  }
}
$child = fork();
exit 126 unless defined $child;
if ($child == 0) { POSIX::setpgid(0, 0); exec { $ARGV[0] } @ARGV; exit 127; }
POSIX::setpgid($child, $child);
# Any signal that would end this process first takes the command down; stop signals are ignored.
for my $sig (grep { !/^(?:KILL|STOP|CHLD|CLD|CONT|WINCH|URG|ZERO)$/ } keys %SIG) { $SIG{$sig} = sub { reap_all(); exit 143; }; }
$SIG{$_} = 'IGNORE' for qw(TSTP TTIN TTOU);
waitpid($child, 0);
my $status = $?;
reap_all();
exit(($status & 127) ? 128 + ($status & 127) : $status >> 8);
`;

export interface Reaper {
  perl: string;
  syscall: number;
}

let detected: Reaper | null | undefined;

/** The reaper this machine can run (perl found, architecture known, the system call allowed), or undefined. */
export function findReaper(): Reaper | undefined {
  if (detected !== undefined) return detected ?? undefined;
  detected = null;
  const nr = PRCTL[process.arch];
  if (process.platform !== 'linux' || nr === undefined) return undefined;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/bin'];
  const perl = dirs.filter((d) => d && path.isAbsolute(d)).map((d) => path.join(d, 'perl')).find((p) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  });
  if (!perl) return undefined;
  try {
    execFileSync(perl, ['-e', REAPER_SCRIPT, String(nr), '/bin/true'], { stdio: 'ignore', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } });
    detected = { perl, syscall: nr };
  } catch {
    /* no subreaper here */
  }
  return detected ?? undefined;
}

/** The argv that runs `file args…` under the reaper. */
export function underReaper(reaper: Reaper, file: string, args: string[]): { file: string; args: string[] } {
  return { file: reaper.perl, args: ['-e', REAPER_SCRIPT, String(reaper.syscall), file, ...args] };
}
