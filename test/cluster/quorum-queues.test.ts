/**
 * The cluster itself, through the public API: three running nodes of one cluster, and a quorum
 * queue declared through one node that the others serve.
 */
import { describe, expect, it } from 'vitest';
import { clusterInfo, nodeUrl, runClusterScript, setUpClusterTests } from '../support/cluster.js';

const { connections, channelOn, quorumQueue } = setUpClusterTests();

function text(value: unknown): string {
  return Buffer.isBuffer(value) || value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : String(value);
}

describe('the 3-node cluster', () => {
  it('has three running nodes that all report the one cluster name', async () => {
    const { urls, nodes } = clusterInfo();
    expect(nodes).toEqual(['n1@localhost', 'n2@localhost', 'n3@localhost']);
    expect(urls.map((u) => new URL(u).port)).toEqual(['5681', '5682', '5683']);
    const status = await runClusterScript(['status'], 60_000);
    expect(status).toContain('running cluster members seen by n3@localhost: n1@localhost n2@localhost n3@localhost');
    const names: string[] = [];
    for (const n of [1, 2, 3] as const) {
      const conn = await connections.open(nodeUrl(n));
      names.push(text(conn.serverProperties['cluster_name']));
    }
    // scripts/cluster.sh names the cluster; unnamed, each node would report its own node name.
    expect(names).toEqual(['amqp-wire', 'amqp-wire', 'amqp-wire']);
  });

  it('serves a quorum queue declared through node 1 on nodes 2 and 3', async () => {
    const ch1 = await channelOn(1);
    const queue = await quorumQueue(ch1, 'quorum-visible');
    await Promise.all(['one', 'two', 'three'].map((body) => ch1.publishConfirmed('', queue, body)));

    const ch2 = await channelOn(2);
    const seen = await ch2.queueDeclare(queue, { passive: true });
    expect(seen).toMatchObject({ queue, messageCount: 3, consumerCount: 0 });
    // A quorum queue refuses a redeclare with other arguments, from any node.
    await expect(ch2.queueDeclare(queue, { durable: true })).rejects.toMatchObject({ replyCode: 406 });

    const ch2b = await channelOn(2);
    const got = await ch2b.basicGet(queue);
    expect(got?.text()).toBe('one');
    got?.ack();

    const ch3 = await channelOn(3);
    const bodies: string[] = [];
    const messages = ch3.consume(queue, { prefetch: 10 });
    for await (const msg of messages) {
      bodies.push(msg.text());
      msg.ack();
      if (bodies.length === 2) break;
    }
    expect(bodies).toEqual(['two', 'three']);
    expect((await ch3.queueDeclare(queue, { passive: true })).messageCount).toBe(0);
  });
});
