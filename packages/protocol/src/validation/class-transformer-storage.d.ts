// class-transformer keeps the metadata of its decorators (@Expose, @Type, @Transform) in this
// module; its type is published under types/. Read by compiled-validator.ts at compile time only.
declare module 'class-transformer/cjs/storage' {
  import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';

  export const defaultMetadataStorage: MetadataStorage;
}
