-- name: migrate-0001-up
CREATE TABLE demo_note (
    id VARCHAR(32) PRIMARY KEY,
    author VARCHAR(64) NOT NULL,
    title VARCHAR(200) NOT NULL,
    status VARCHAR(16) NOT NULL,
    pinned BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- name: migrate-0001-down
DROP TABLE demo_note;
