// Express 4 is installed as `express4` (npm alias) beside Express 5: same API, Express 5's types.
declare module 'express4' {
  import express = require('express');
  export = express;
}
