// The course's demo app (Node.js + Express 4), kept as the benchmark's peer.
// Same shape as the course: answer "Hello World!" on GET /, port 3000.
// PORT/HOST let bench/run.sh put it on loopback next to the other servers.
'use strict';
const express = require('express');

const app = express();
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';

app.get('/', (req, res) => {
  res.send('Hello World!');
});

const server = app.listen(port, host, () => {
  console.log(`Example app listening on ${host}:${port}`);
});

// Exit promptly on SIGTERM (as `docker stop` expects), after open connections close.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
