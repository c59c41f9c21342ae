-- 渠道 (issue 5): threads of outside conversations, inbound de-duplication, attachments, and the
-- flag supervisors set on a citizen who reports maliciously and repeatedly.
--
-- channel_threads: an outside key (an e-mail Message-ID, a WeChat OpenID) → the case its
-- conversation belongs to, so a reply is added to that case instead of making a new one.
CREATE TABLE channel_threads (
    channel     TEXT NOT NULL,
    thread_key  TEXT NOT NULL,
    case_id     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (channel, thread_key)
);
-- inbound_messages: every outside message id seen once (WeChat and gateways retry).
CREATE TABLE inbound_messages (
    channel      TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    case_id      INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (channel, message_id)
);
-- attachments: the metadata of stored files (the bytes are in the blob store under id);
-- case_id is set once the file belongs to a case.
CREATE TABLE attachments (
    id           TEXT PRIMARY KEY,
    case_id      INTEGER,
    sha256       TEXT NOT NULL,
    uploaded_by  INTEGER,
    uploaded_at  INTEGER NOT NULL,
    data         TEXT NOT NULL
);
CREATE INDEX attachments_case ON attachments(case_id);
-- citizen_flags: 恶意重复诉求, by phone number; cleared flags keep their row (active = false).
CREATE TABLE citizen_flags (
    phone       TEXT PRIMARY KEY,
    active      BOOLEAN NOT NULL,
    reason      TEXT NOT NULL,
    set_by      INTEGER,
    set_at      INTEGER NOT NULL
);
