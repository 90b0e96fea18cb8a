// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect
// metadata polyfill loaded first; importing the library only through this module guarantees
// the order and that the Node WebCrypto provider is registered exactly once.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
