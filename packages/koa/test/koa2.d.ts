// Koa 2 is installed as `koa2` (npm alias) beside Koa 3; Koa 3's types stand in.
declare module 'koa2' {
  import Koa = require('koa');
  export = Koa;
}
