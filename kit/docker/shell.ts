/** Quotes one word for POSIX sh. */
export function shq(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes files on a node with their contents on stdin (a script read by `sh -s`), never in argv
 * where `ps`, --verbose and --dry-run would show them. Each file travels base64-encoded in a
 * quoted here-document, so no byte of it is read by the shell.
 */
export function writeFilesStdin(files: Record<string, string>, mode = '0644'): { command: string; stdin: string } {
  const script = Object.entries(files).map(([path, content]) => {
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    const b64 = Buffer.from(content, 'utf8').toString('base64').replace(/.{1,76}/g, '$&\n');
    return `mkdir -p ${shq(dir)} && base64 -d > ${shq(`${path}.edgefaas-new`)} <<'EDGEFAAS_EOF' && chmod ${mode} ${shq(`${path}.edgefaas-new`)} && mv ${shq(`${path}.edgefaas-new`)} ${shq(path)} || exit 1\n${b64}EDGEFAAS_EOF\n`;
  });
  return { command: 'sh -s', stdin: `set -e\n${script.join('')}` };
}
