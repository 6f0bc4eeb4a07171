-- Streaming reply text moves out of SQLite into one append-only journal file
-- per reply (`<data>/streams/<message id>.reply`): a commit per 10-token
-- batch wrote whole 4 KB pages, ~190 bytes per byte of reply.
--
-- Text a crashed reply left in chunk rows is folded into its message first,
-- so start-up recovery finds it there and marks the reply `interrupted`.
UPDATE chat_messages
   SET content = content || COALESCE((SELECT group_concat(c.content, '')
                                        FROM (SELECT content FROM chat_message_chunks
                                               WHERE message_id = chat_messages.id
                                               ORDER BY seq) AS c), '')
 WHERE status = 'streaming';

DROP TABLE chat_message_chunks;
