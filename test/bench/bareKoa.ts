// The write benchmark's baseline: Koa + koa-body that parse the same request and only answer.
import Koa from "koa";
import { koaBody } from "koa-body";
import type { AddressInfo } from "node:net";

const app = new Koa();
app.use(koaBody({ jsonLimit: 1024 * 1024 }));
app.use((ctx) => {
  ctx.status = 201;
  ctx.body = { success: true, log_id: "x", received: Object.keys(ctx.request.body as object).length };
});
const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () =>
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
);
