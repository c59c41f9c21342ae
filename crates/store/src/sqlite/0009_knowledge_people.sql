-- 人员库 and 知识库 (issue 4, items 7 and 8).
--
-- people: mediators, legal aid, experts and judicial officers a case can be assigned to by name.
-- specialties and areas are JSON arrays of strings; (name, organisation) identifies a person
-- across registry imports.
CREATE TABLE people (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    organisation TEXT NOT NULL,
    phone        TEXT,
    specialties  TEXT NOT NULL,
    areas        TEXT NOT NULL,
    capacity     INTEGER NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT 1,
    note         TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (name, organisation)
);
CREATE INDEX people_kind ON people(kind, active);

-- Who of the registry works on which case. Written with the case's `person_assigned` event, in its
-- transaction. A person's load is the number of their rows whose case is still open, so closing a
-- case releases the person without another write; `released_at` is for an explicit release.
CREATE TABLE case_people (
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    assigned_at INTEGER NOT NULL,
    assigned_by INTEGER,
    released_at INTEGER,
    PRIMARY KEY (case_id, person_id)
);
CREATE INDEX case_people_person ON case_people(person_id);

-- Knowledge articles; dates are China dates `YYYY-MM-DD` (compare as text), keywords a JSON array.
CREATE TABLE knowledge_articles (
    id          INTEGER PRIMARY KEY,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    category    TEXT,
    unit_id     INTEGER REFERENCES units(id),
    keywords    TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    state       TEXT NOT NULL,
    source      TEXT,
    version     INTEGER NOT NULL,
    created_by  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_by  INTEGER,
    updated_at  INTEGER NOT NULL,
    review_note TEXT
);
CREATE INDEX knowledge_state ON knowledge_articles(state, category);
CREATE INDEX knowledge_unit ON knowledge_articles(unit_id);

-- Every version of every article, whole, with the step that made it: nothing is lost on edit.
CREATE TABLE knowledge_revisions (
    article_id INTEGER NOT NULL REFERENCES knowledge_articles(id),
    version    INTEGER NOT NULL,
    action     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    by_user    INTEGER,
    note       TEXT,
    data       TEXT NOT NULL,
    PRIMARY KEY (article_id, version)
);
