import { cleanup } from '@testing-library/react'
import { afterEach } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'

// The WebSocket that jsdom exposes dispatches events of another realm than jsdom's own Event;
// the `ws` client speaks the same browser API and protocol, over a real socket.
globalThis.WebSocket = NodeWebSocket as unknown as typeof WebSocket

// jsdom has no canvas backend; the plot skips drawing when there is no 2D context.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext

afterEach(() => {
  cleanup()
  window.sessionStorage.clear()
  window.history.replaceState(null, '', '/')
})
