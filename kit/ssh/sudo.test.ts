import { describe, expect, it } from 'vitest';
import { classifySudoFailure, shellQuote, wrapSudo } from './sudo.ts';
import { Redactor } from './redact.ts';

describe('sudo', () => {
  it('keeps the password out of the command line', () => {
    const line = wrapSudo("echo 'it''s' > /etc/x");
    expect(line.startsWith("sudo -S -p '[edgefaas-sudo-prompt]' -- sh -c ")).toBe(true);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });

  it.each([
    ['sh: 1: sudo: not found\n', 127, 0, true, 'no-sudo'],
    ['pi is not in the sudoers file.  This incident will be reported.\n', 1, 1, true, 'not-allowed'],
    ['Sorry, user pi is not allowed to execute /bin/sh as root on pi-1.\n', 1, 0, true, 'not-allowed'],
    ['Sorry, try again.\n', -1, 2, true, 'wrong-password'],
    ['', -1, 1, false, 'needs-password'],
  ] as const)('classifies %j (exit %i, %i prompts) as %s', (stderr, code, prompts, hadPassword, kind) => {
    expect(classifySudoFailure(stderr, code, prompts, hadPassword)).toBe(kind);
  });
});

describe('Redactor', () => {
  it('masks every registered secret in text and in JSON values', () => {
    const r = new Redactor();
    r.add('hunter22');
    r.add('xy'); // too short to mask safely: ignored
    expect(r.redact('password hunter22 in hunter22x')).toBe('password *** in ***x');
    expect(r.redactValue({ a: ['hunter22'], b: 'xy' })).toEqual({ a: ['***'], b: 'xy' });
  });
});
