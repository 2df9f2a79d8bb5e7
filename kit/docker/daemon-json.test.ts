import { describe, expect, it } from 'vitest';
import { mergeDaemonJson } from './daemon-json.ts';

const needs = { insecureRegistries: ['10.0.0.11:5000'] };

describe('mergeDaemonJson', () => {
  it('writes registry trust and log rotation where there was no file', () => {
    const m = mergeDaemonJson(undefined, needs);
    expect(m.changed).toBe(true);
    expect(JSON.parse(m.text)).toEqual({
      'insecure-registries': ['10.0.0.11:5000'],
      'log-driver': 'json-file',
      'log-opts': { 'max-size': '10m', 'max-file': '3' },
    });
    expect(m.added).toEqual(['insecure-registries 10.0.0.11:5000', 'log rotation']);
  });

  it('keeps every key the node already has and appends to its registry list', () => {
    const existing = JSON.stringify({ 'data-root': '/mnt/ssd/docker', 'insecure-registries': ['nas:5000'], 'log-opts': { 'max-size': '50m' } });
    const m = mergeDaemonJson(existing, needs);
    expect(JSON.parse(m.text)).toEqual({
      'data-root': '/mnt/ssd/docker',
      'insecure-registries': ['nas:5000', '10.0.0.11:5000'],
      'log-opts': { 'max-size': '50m', 'max-file': '3' },
      'log-driver': 'json-file',
    });
  });

  it('leaves another log driver alone', () => {
    const m = mergeDaemonJson(JSON.stringify({ 'log-driver': 'journald', 'insecure-registries': ['10.0.0.11:5000'] }), needs);
    expect(m).toEqual({ text: JSON.stringify({ 'log-driver': 'journald', 'insecure-registries': ['10.0.0.11:5000'] }), changed: false, added: [] });
  });

  it('changes nothing on a second merge', () => {
    const first = mergeDaemonJson(undefined, needs);
    const second = mergeDaemonJson(first.text, needs);
    expect(second.changed).toBe(false);
    expect(second.text).toBe(first.text);
  });

  it('refuses a broken file, naming the node and what to do', () => {
    expect(() => mergeDaemonJson('{"debug": tru', needs, 'pi-2')).toThrow(
      /^\/etc\/docker\/daemon\.json on pi-2 is not valid JSON \(.*\); fix it or move it aside, then run: edgefaas up$/,
    );
    expect(() => mergeDaemonJson('{"insecure-registries": "x"}', needs, 'pi-2')).toThrow(/"insecure-registries" .* on pi-2 is not a list/);
  });
});
