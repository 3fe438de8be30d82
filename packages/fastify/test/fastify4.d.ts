// Fastify 4 is installed as `fastify4` (npm alias) beside Fastify 5; Fastify 5's types stand in.
declare module 'fastify4' {
  import fastify = require('fastify');
  export = fastify;
}
