-- 0005 webhooks (API.md "Webhooks", docs/api.md "Webhooks"): the receivers, the durable
-- delivery queue and the outbox watermark.
--
-- The outbox is violation_audit itself: every engine change to a violation appends an audit
-- row in the transaction that stores it (0004). The dispatcher reads engine audit rows past
-- `webhook_outbox.last_audit_id`, inserts a delivery row for every webhook the event passes,
-- and advances the watermark in the same transaction: a crash anywhere loses no event and
-- queues none twice (UNIQUE (webhook_id, audit_id) as well).
-- The watermark starts at the audit rows already there: webhooks hear of what happens after
-- this migration, not of the history.

CREATE TABLE webhooks (
    id bigserial PRIMARY KEY,
    url text NOT NULL CHECK (length(url) BETWEEN 8 AND 2048),
    format text NOT NULL CHECK (format IN ('json', 'wecom', 'dingtalk')),
    types text[] NOT NULL DEFAULT '{}',  -- violation types; empty = every type
    kinds text[] NOT NULL,               -- opened, updated, closed, retracted (follow-ups)
    min_severity text NOT NULL DEFAULT 'minor' CHECK (min_severity IN ('minor', 'moderate',
        'serious', 'severe', 'critical')),
    secret text NOT NULL CHECK (length(secret) BETWEEN 16 AND 256),
    description text NOT NULL DEFAULT '',
    enabled boolean NOT NULL DEFAULT true,
    -- Engine audit rows up to this id were appended before the webhook existed: not its events.
    from_audit_id bigint NOT NULL DEFAULT 0,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id bigserial PRIMARY KEY,
    webhook_id bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    audit_id bigint NOT NULL REFERENCES violation_audit (id),
    violation_id bigint NOT NULL REFERENCES violations (id),
    kind text NOT NULL,  -- violation.opened, violation.updated, violation.closed, ...
    body text NOT NULL,  -- the exact bytes sent (and signed), fixed when queued
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_status integer,  -- the receiver's HTTP status; NULL when there was no answer
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (webhook_id, audit_id)
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, id)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_violation ON webhook_deliveries (violation_id, webhook_id);

CREATE TABLE webhook_outbox (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_audit_id bigint NOT NULL
);
INSERT INTO webhook_outbox (last_audit_id)
    SELECT coalesce(max(id), 0) FROM violation_audit;
