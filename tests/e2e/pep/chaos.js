'use strict';
/*
 * chaos.js — a PDP that misbehaves on request, in front of the real daemon.
 *
 * The enforcement points must refuse whenever the PDP's answer cannot be
 * trusted. This HTTP server on 127.0.0.1 (a free port) forwards to the real
 * daemon while its mode is "pass", and otherwise fails in one chosen way:
 *
 *   garbage  200 with a body that is not JSON
 *   shape    200 {"decision":"allow"}: an allow without a decision id, which
 *            a strict client must not believe
 *   error    500 {"error": ...}
 *   hang     accepts the request and never answers
 *
 * Switching back to "pass" shows that the enforcement point recovers.
 */

const http = require('http');

class Chaos {
    constructor(daemonPort) {
        this.daemonPort = daemonPort;
        this.mode = 'pass';
        this.hanging = new Set();
        this.server = http.createServer((req, res) => this.handle(req, res));
    }

    /* Listen on a free port; resolves to this. */
    start() {
        return new Promise((resolve, reject) => {
            this.server.once('error', reject);
            this.server.listen(0, '127.0.0.1', () => {
                this.port = this.server.address().port;
                this.url = `http://127.0.0.1:${this.port}`;
                resolve(this);
            });
        });
    }

    handle(req, res) {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const body = Buffer.concat(chunks);
            const answers = {
                garbage: () => res.writeHead(200).end('<html>surely not json'),
                shape: () => res.writeHead(200, { 'Content-Type': 'application/json' })
                    .end('{"decision":"allow"}'),
                error: () => res.writeHead(500).end('{"error":"chaos"}'),
                hang: () => this.hanging.add(res),
                pass: () => this.forward(req, body, res),
            };
            answers[this.mode]();
        });
    }

    forward(req, body, res) {
        const up = http.request({
            host: '127.0.0.1', port: this.daemonPort, path: req.url, method: req.method,
            headers: Object.assign({}, req.headers, { 'content-length': body.length }),
        }, (upRes) => {
            res.writeHead(upRes.statusCode, upRes.headers);
            upRes.pipe(res);
        });
        up.on('error', () => res.writeHead(502).end('{"error":"daemon unreachable"}'));
        up.end(body);
    }

    /* Stop listening and drop every connection, answered or hanging. */
    stop() {
        for (const res of this.hanging) res.destroy();
        this.hanging.clear();
        this.server.closeAllConnections();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}

module.exports = { Chaos };
