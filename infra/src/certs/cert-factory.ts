// Certificate minting lives in @sepp/protocol/pki (the conformance probe mints its fault
// certificates with it too); the generator, the demo and the tests import it from here.
export * from '@sepp/protocol/pki';
