-- People sign in by password, by name (local use) or by single sign-on (email / subject);
-- a deactivated person keeps their name (ratings stay attributed) but cannot sign in.
ALTER TABLE annotators ADD COLUMN email VARCHAR;
ALTER TABLE annotators ADD COLUMN sso_subject VARCHAR;
ALTER TABLE annotators ADD COLUMN active BOOLEAN DEFAULT TRUE;
UPDATE annotators SET active = TRUE;
-- a browser session: the cookie carries a random token, only its sha256 is stored; the one-time
-- handoff code lets the server set that cookie without the page seeing it
CREATE TABLE sessions (
    id VARCHAR PRIMARY KEY,
    person VARCHAR NOT NULL,
    auth_mode VARCHAR NOT NULL,      -- none | password | oidc
    token_hash VARCHAR,
    handoff_hash VARCHAR,
    handoff_expires_at TIMESTAMP,
    handoff_browser VARCHAR,         -- the browser the code was made for (see sessions)
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
-- failed password sign-ins, per name and per address, for the growing delay
CREATE TABLE sign_in_failures (
    scope VARCHAR NOT NULL,          -- name | address
    key VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
-- who changed which person, how and when (never a password or a hash)
CREATE SEQUENCE people_audit_seq;
CREATE TABLE people_audit (
    id BIGINT PRIMARY KEY DEFAULT nextval('people_audit_seq'),
    changed_at TIMESTAMP NOT NULL,
    actor VARCHAR NOT NULL,
    person VARCHAR NOT NULL,
    action VARCHAR NOT NULL,         -- add | role | reset_password | deactivate | ...
    detail VARCHAR
);
