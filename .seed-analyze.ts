import { ones, tape, sum, mul } from './src/entry-embedded.js';
const x = ones([2,2]); const t = tape(t => { t.watch(x); const y = sum(x); return mul(y, y); }); console.log(t.gradient(t.result, x).toArray());
