// A client as a runner would be: it retries a POST with its own log_id until acknowledged, through 503s and
// dropped connections, turning to the next server each time.
import { post } from "./server.js";

export async function postUntilAcknowledged(urls: string[], body: { log_id: string }, turn = 0): Promise<void> {
  for (let tries = 0; tries < 5_000; tries++) {
    const res = await post(`${urls[(turn + tries) % urls.length]}/api/logs/attempts`, body).catch(() => null);
    if (res?.status === 201) return;
    if (res && res.status !== 503) throw new Error(`${body.log_id}: ${res.status} ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${body.log_id} was never acknowledged`);
}
