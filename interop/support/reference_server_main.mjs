// What the `y-websocket-server` bin of @y/websocket-server does, on 127.0.0.1 and an
// ephemeral port that is reported on stdout. The spawner unsets YPERSISTENCE: no persistence.

import http from 'node:http'
import { WebSocketServer } from 'ws'
import { setupWSConnection } from '@y/websocket-server/utils'

const wss = new WebSocketServer({ noServer: true })
wss.on('connection', setupWSConnection)

const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/plain' })
  response.end('okay')
})
server.on('upgrade', (request, socket, head) => {
  wss.handleUpgrade(request, socket, head, ws => wss.emit('connection', ws, request))
})
server.listen(0, '127.0.0.1', () => {
  console.log(`reference server listening on ws://127.0.0.1:${server.address().port}`)
})

process.on('SIGTERM', () => {
  for (const client of wss.clients) client.close(1001, 'server shutting down')
  server.close(() => process.exit(0))
  // Sockets that do not finish their close handshake must not keep the process alive.
  setTimeout(() => process.exit(0), 1000).unref()
})
