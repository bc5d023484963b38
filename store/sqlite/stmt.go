package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxStmts bounds the statements one pool keeps prepared. The store's
// statements are constant SQL texts (about sixty) plus the audit listings'
// filter combinations (32 each); past the bound, a new text runs unprepared,
// so SQL built from input can never grow the cache without limit.
const maxStmts = 256

// pool is one of a Store's connection pools with the statements run on it
// kept prepared. database/sql prepares a *sql.Stmt made by DB.PrepareContext
// on each connection the first time it runs there and keeps it, so a cached
// statement is parsed once per connection rather than once per call.
//
// A statement is prepared only outside a transaction: DB.PrepareContext
// takes a connection of its own, which inside a transaction of the one-
// connection write pool (or of a read pool whose connections are all in
// transactions) would wait forever. A transaction runs a statement it finds
// no cache entry for unprepared and notes it; the statement is prepared
// when the transaction ends (txQuerier.end).
//
// A transaction must not run a query again while that same query's rows are
// still open: both runs would share the connection's one prepared statement,
// and the second fails with SQLite's misuse error. The store's code closes
// each result before it runs the next query of the same text.
type pool struct {
	db *sql.DB

	mu      sync.RWMutex
	stmts   map[string]*sql.Stmt // by SQL text
	pending map[string]bool      // texts being prepared
	closed  bool

	// For tests: the statements prepared so far, and the runs of a
	// statement without a prepared one.
	prepared, unprepared int
}

func newPool(db *sql.DB) *pool {
	return &pool{db: db, stmts: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// cached returns the prepared statement for query, or nil.
func (p *pool) cached(query string) *sql.Stmt {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.stmts[query]
}

// stmt returns the prepared statement for query, preparing it first if
// there is room. It returns nil when the statement is not cached and cannot
// be: the cache is full or closed, another goroutine is preparing the same
// text, or preparing failed; the caller then runs query unprepared, which
// fails again with the same error if preparing did. The caller must hold no
// connection of p (see pool).
func (p *pool) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := p.cached(query); st != nil {
		return st
	}
	p.mu.Lock()
	if st, ok := p.stmts[query]; ok || p.closed || p.pending[query] || len(p.stmts)+len(p.pending) >= maxStmts {
		p.mu.Unlock()
		return st
	}
	p.pending[query] = true
	p.mu.Unlock()

	st, err := p.db.PrepareContext(ctx, query)

	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, query)
	if err != nil {
		return nil
	}
	if p.closed {
		st.Close()
		return nil
	}
	p.stmts[query] = st
	p.prepared++
	return st
}

// missed counts a run of a statement without a prepared one.
func (p *pool) missed() {
	p.mu.Lock()
	p.unprepared++
	p.mu.Unlock()
}

// ExecContext runs query outside a transaction, prepared.
func (p *pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	p.missed()
	return p.db.ExecContext(ctx, query, args...)
}

// QueryContext runs query outside a transaction, prepared.
func (p *pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	p.missed()
	return p.db.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query outside a transaction, prepared.
func (p *pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	p.missed()
	return p.db.QueryRowContext(ctx, query, args...)
}

// begin starts a transaction on the pool.
func (p *pool) begin(ctx context.Context, opts *sql.TxOptions) (*txQuerier, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txQuerier{tx: tx, p: p}, nil
}

// close closes the cached statements, then the database. Statements
// prepared after it are closed at once.
func (p *pool) close() error {
	p.mu.Lock()
	p.closed = true
	var errs []error
	for q, st := range p.stmts {
		errs = append(errs, st.Close())
		delete(p.stmts, q)
	}
	p.mu.Unlock()
	return errors.Join(append(errs, p.db.Close())...)
}

// txQuerier is a transaction whose ExecContext, QueryContext and
// QueryRowContext run the pool's prepared statements. It is used by one
// goroutine.
type txQuerier struct {
	tx     *sql.Tx
	p      *pool
	missed []string // texts run unprepared, to prepare at end
}

// txStmt returns the pool's statement for query bound to the transaction,
// or nil (noting query) when the pool has none.
func (t *txQuerier) txStmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.p.cached(query); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	t.p.missed()
	t.missed = append(t.missed, query)
	return nil
}

// ExecContext runs query in the transaction, prepared when the pool has it.
func (t *txQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.txStmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryContext runs query in the transaction, prepared when the pool has it.
func (t *txQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.txStmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs query in the transaction, prepared when the pool has
// it.
func (t *txQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.txStmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// end rolls the transaction back unless it was committed, and then, with
// its connection released, prepares the statements it ran unprepared.
func (t *txQuerier) end(ctx context.Context) {
	t.tx.Rollback()
	for _, q := range t.missed {
		t.p.stmt(ctx, q)
	}
}
