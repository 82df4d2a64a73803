/** class-transformer keeps its decorators' metadata here; the package ships the types apart. */
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
