package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
)

// pgxCollector exports a pgx pool's statistics, read at each scrape.
type pgxCollector struct {
	pool PgxPool

	acquired, idle, total, max, constructing   *prometheus.Desc
	acquires, emptyAcquires, canceledAcquires  *prometheus.Desc
	acquireSeconds, newConns, lifetimeDestroys *prometheus.Desc
	idleDestroys                               *prometheus.Desc
}

func newPgxCollector(p PgxPool) *pgxCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("qrpin_db_pool_"+name, help, nil, nil)
	}
	return &pgxCollector{
		pool:             p,
		acquired:         d("acquired_connections", "PostgreSQL connections in use."),
		idle:             d("idle_connections", "PostgreSQL connections open and idle."),
		total:            d("connections", "PostgreSQL connections open (in use, idle and being opened)."),
		max:              d("max_connections", "Most PostgreSQL connections the pool opens."),
		constructing:     d("constructing_connections", "PostgreSQL connections being opened."),
		acquires:         d("acquires_total", "Connections taken from the pool."),
		emptyAcquires:    d("empty_acquires_total", "Connections taken from the pool that had to wait: none was idle."),
		canceledAcquires: d("canceled_acquires_total", "Waits for a connection that ended without one (timeout or cancel: the database is slow or gone)."),
		acquireSeconds:   d("acquire_seconds_total", "Time spent taking connections from the pool."),
		newConns:         d("new_connections_total", "PostgreSQL connections opened."),
		lifetimeDestroys: d("max_lifetime_destroys_total", "Connections closed for their age."),
		idleDestroys:     d("max_idle_destroys_total", "Connections closed for idling."),
	}
}

func (c *pgxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.constructing, c.acquires, c.emptyAcquires,
		c.canceledAcquires, c.acquireSeconds, c.newConns, c.lifetimeDestroys, c.idleDestroys} {
		ch <- d
	}
}

func (c *pgxCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.PoolStat()
	g := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	n := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	g(c.acquired, float64(s.AcquiredConns()))
	g(c.idle, float64(s.IdleConns()))
	g(c.total, float64(s.TotalConns()))
	g(c.max, float64(s.MaxConns()))
	g(c.constructing, float64(s.ConstructingConns()))
	n(c.acquires, float64(s.AcquireCount()))
	n(c.emptyAcquires, float64(s.EmptyAcquireCount()))
	n(c.canceledAcquires, float64(s.CanceledAcquireCount()))
	n(c.acquireSeconds, s.AcquireDuration().Seconds())
	n(c.newConns, float64(s.NewConnsCount()))
	n(c.lifetimeDestroys, float64(s.MaxLifetimeDestroyCount()))
	n(c.idleDestroys, float64(s.MaxIdleDestroyCount()))
}
