import { isIP } from 'node:net';
import { normalizeFqdn, plmnFqdnKey, type PlmnIdValue } from '../identifiers/plmn';
import { hiddenNameKey, isHiddenLabel, type HiddenNames } from './hidden-names';
import type { HidingKind } from './types';

/**
 * Topology hiding of one SEPP: which names are ours, and the rewriting of one value of a hiding
 * place in either direction. Hidden names live one label under our SEPP FQDN (hidden-names.ts).
 */
export interface TopologyScope {
  /** Our SEPP FQDN: hidden names are `<label>.<seppFqdn>`; it and names under it are never hidden. */
  readonly seppFqdn: string;
  /** Our PLMNs: every name under their `mnc<MNC>.mcc<MCC>.3gppnetwork.org` domains is ours. */
  readonly ownPlmns: readonly PlmnIdValue[];
  /** More internal domains (suffixes) whose names are ours (`localdomain`, `core.example.net`). */
  readonly internalDomains: readonly string[];
  /** IP literals are ours too (a SEPP never has a reason to show the peer an address of its PLMN). */
  readonly hideIpAddresses: boolean;
  readonly names: HiddenNames;
}

/** The outcome of rewriting one value. */
export type Rewrite =
  | { readonly kind: 'same' }
  | { readonly kind: 'changed'; readonly value: string }
  /** An IP address to drop (outbound `ip` places). */
  | { readonly kind: 'remove' }
  | { readonly kind: 'failed'; readonly reason: string };

const SAME: Rewrite = { kind: 'same' };
const ABSOLUTE_URI = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s;
const AUTHORITY = /^(?:([^@]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:[\]]*)(?::(\d{0,5}))?$/;

/** The compiled view of a scope: domain suffixes, lower case, with their leading dot. */
export class Topology {
  private readonly seppDomain: string;
  private readonly suffixes: readonly string[];

  constructor(readonly scope: TopologyScope) {
    this.seppDomain = normalizeFqdn(scope.seppFqdn);
    const plmnDomains = scope.ownPlmns.map((plmn) => {
      const [mcc, mnc] = plmnFqdnKey(plmn).split('-');
      return `mnc${mnc}.mcc${mcc}.3gppnetwork.org`;
    });
    this.suffixes = [...plmnDomains, ...scope.internalDomains.map((domain) => normalizeFqdn(domain).replace(/^\./, ''))];
  }

  /** Whether a host (FQDN or IP literal, without port) is one of ours that must not leave in clear. */
  isOurs(host: string): boolean {
    const name = normalizeFqdn(host.replace(/^\[|\]$/g, ''));
    if (isIP(name) !== 0) return this.scope.hideIpAddresses;
    if (name === this.seppDomain || name.endsWith(`.${this.seppDomain}`)) return false;
    return this.suffixes.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
  }

  /** Whether some text mentions one of our domains or an address (for values we cannot parse). */
  mentionsOurs(text: string): boolean {
    const lower = text.toLowerCase();
    if (this.scope.hideIpAddresses && /(?:^|[^0-9.])\d{1,3}(?:\.\d{1,3}){3}(?:$|[^0-9.])|\[[0-9a-f:.]*:[0-9a-f:.]*\]/.test(lower)) return true;
    return this.suffixes.some((suffix) => lower.includes(suffix));
  }

  /** The hidden label in `host` (`<label>.<seppFqdn>`), or null when the host is not a hidden name of ours. */
  hiddenLabelOf(host: string): string | null {
    const name = normalizeFqdn(host);
    const suffix = `.${this.seppDomain}`;
    if (!name.endsWith(suffix)) return null;
    const label = name.slice(0, -suffix.length);
    return isHiddenLabel(label) ? label : null;
  }

  /** Rewrites one value of a place: outbound hides our names, inbound recovers hidden ones. */
  rewrite(value: string, kind: HidingKind, direction: 'hide' | 'recover'): Rewrite {
    switch (kind) {
      case 'uri':
        return this.rewriteUri(value, direction);
      case 'fqdn':
        return direction === 'hide' ? this.hideHost(value) : this.recoverHost(value);
      case 'ip':
        return direction === 'hide' && isIP(value.trim()) !== 0 && this.scope.hideIpAddresses ? { kind: 'remove' } : SAME;
    }
  }

  private hideHost(value: string): Rewrite {
    const host = value.trim();
    if (!this.isOurs(host)) return SAME;
    return this.hiddenName(hiddenNameKey(host, null));
  }

  private recoverHost(value: string): Rewrite {
    const label = this.hiddenLabelOf(value.trim());
    if (label === null) return SAME;
    const name = this.scope.names.reveal(label);
    if (name === null) return { kind: 'failed', reason: `${label} is not a name this SEPP hid` };
    if (/:\d+$/.test(name) && !name.endsWith(']')) return { kind: 'failed', reason: `${label} hides an address with a port, not an FQDN` };
    return { kind: 'changed', value: name.replace(/^\[|\]$/g, '') };
  }

  private rewriteUri(value: string, direction: 'hide' | 'recover'): Rewrite {
    const uri = ABSOLUTE_URI.exec(value);
    const authority = uri ? AUTHORITY.exec(uri[2]!) : null;
    if (!uri || !authority) {
      // A relative reference names no host. Anything else we cannot read must not leave if it may name ours.
      if (direction === 'hide' && !value.startsWith('/') && this.mentionsOurs(value)) return { kind: 'failed', reason: 'not a URI we can read, and it names a host of ours' };
      return SAME;
    }
    const [, scheme, , rest] = uri;
    const [, userinfo, host, portText] = authority;
    const port = portText ? Number(portText) : null;
    const user = userinfo !== undefined ? `${userinfo}@` : '';
    if (direction === 'hide') {
      if (!this.isOurs(host!)) return SAME;
      const hidden = this.hiddenName(hiddenNameKey(host!.replace(/^\[|\]$/g, ''), port));
      return hidden.kind === 'changed' ? { kind: 'changed', value: `${scheme}://${user}${hidden.value}${rest}` } : hidden;
    }
    const label = this.hiddenLabelOf(host!);
    if (label === null) return SAME;
    const name = this.scope.names.reveal(label);
    if (name === null) return { kind: 'failed', reason: `${label} is not a name this SEPP hid` };
    // A hidden authority carries its port; a hidden bare host keeps the port the URI gives.
    const hasPort = /:\d+$/.test(name) && (!name.startsWith('[') || /\]:\d+$/.test(name));
    return { kind: 'changed', value: `${scheme}://${user}${name}${!hasPort && port !== null ? `:${port}` : ''}${rest}` };
  }

  private hiddenName(key: string): Rewrite {
    try {
      return { kind: 'changed', value: `${this.scope.names.hide(key)}.${this.seppDomain}` };
    } catch (error) {
      return { kind: 'failed', reason: (error as Error).message };
    }
  }
}
