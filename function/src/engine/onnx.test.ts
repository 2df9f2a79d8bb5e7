import { describe, expect, it } from 'vitest';
import { onnxCpuinfoProblem } from './onnx.ts';

const pi4 = `processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\nHardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.1\n`;
// What an arm64 program reads under qemu-user on an x86 host: the host's own file.
const x86 = `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme de pse tsc msr pae\n\n`;

describe('ONNX Runtime on linux/arm64 and /proc/cpuinfo', () => {
  it('loads where the kernel lists ARM cores (a Pi 4)', () => {
    expect(onnxCpuinfoProblem(() => pi4, 'arm64')).toBeUndefined();
  });

  it('is passed over, with the reason, where an arm64 program sees an x86 /proc/cpuinfo or none', () => {
    expect(onnxCpuinfoProblem(() => x86, 'arm64')).toMatch(/no ARM cores.*qemu-user.*crashes/);
    expect(
      onnxCpuinfoProblem(() => {
        throw new Error('ENOENT');
      }, 'arm64'),
    ).toMatch(/no ARM cores/);
  });

  it('does not look at /proc/cpuinfo on x64', () => {
    expect(onnxCpuinfoProblem(() => x86, 'x64')).toBeUndefined();
  });
});
