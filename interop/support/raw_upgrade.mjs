// A WebSocket upgrade request by hand, for tests that read a refusal's status and body.

import crypto from 'node:crypto'
import http from 'node:http'
import { deadline } from './wait.mjs'

const TIMEOUT_MS = 10000

/**
 * A WebSocket upgrade request by hand, so the refusal's status and body can be read (a
 * WebSocket client only reports "unexpected server response"). Resolves with
 * `{ status, headers, body }`; `body` is the parsed JSON of a refusal, `null` after a 101.
 */
export function rawUpgrade (httpUrl, room, token) {
  const query = token === undefined ? '' : `?token=${encodeURIComponent(token)}`
  const request = http.request(`${httpUrl}/${room}${query}`, {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64')
    }
  })
  const answer = new Promise((resolve, reject) => {
    request.on('upgrade', (response, socket) => {
      socket.destroy()
      resolve({ status: response.statusCode, headers: response.headers, body: null })
    })
    request.on('response', response => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', chunk => { text += chunk })
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode, headers: response.headers, body: JSON.parse(text) })
        } catch {
          reject(new Error(`the ${response.statusCode} answer is not JSON: ${text}`))
        }
      })
    })
    request.on('error', reject)
  })
  request.end()
  return deadline(answer, TIMEOUT_MS, `the answer to the upgrade of ${room}`)
}
