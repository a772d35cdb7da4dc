// Starts a `bench:room` generator thread (room-clients.ts): worker threads do not inherit
// tsx's loader, so the thread registers it before it loads the TypeScript module.
import { register } from 'tsx/esm/api'

register()
await import('./room-clients.ts')
