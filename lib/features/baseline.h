/* baseline: each source's memory across windows, and the features of a
 * window relative to that source's own past.
 *
 * A window alone cannot tell a busy web backend from a workstation that
 * suddenly talks to 256 addresses; the host's own past can. For every source
 * the baseline keeps, bounded (at most max_hosts sources, least recently
 * seen evicted and counted):
 *   - decayed levels (mean and variance of log(1 + x)) of six counts at
 *     three time scales (half-lives of 1 min, 1 h, 1 day of event time),
 *     updated each window the source appears in;
 *   - two 512-bit sketches of what it talked to (destination addresses,
 *     services; services served and clients answered), one for the current
 *     half of the horizon and one for the previous half, so that "seen
 *     within the horizon" needs no timestamps;
 *   - when it was first and last seen;
 *   - sketches of the peers it first reached, the services it first served
 *     and the clients it first answered in the last minutes (young:
 *     baseline_serves_young, baseline_young_client).
 * From it, BASELINE_N_FEATURES values per sample (names in
 * baseline_feature_names; docs/features.md says why each exists):
 *   host first_seen     1 when the source is not remembered (new, evicted,
 *                       or silent for longer than the horizon)
 *   host new_peers      log(1 + destination addresses the source opened
 *                       flows to and had not within the horizon), estimated
 *                       from the sketches (lib/features/window.h: answers are not
 *                       openings, so a server answering a scan opens none)
 *   host new_services   log(1 + services it opened flows to and had not)
 *   host rise X         how far log(1 + X) is above the source's own level,
 *                       in its own standard deviations (at least 0; the
 *                       largest over the three time scales), for X in
 *                       packets and bytes (sent, not as answers), flows
 *                       (opened), peers (opened to), failures (unanswered
 *                       SYNs + RSTs up to the SYNs sent + ICMP unreachables
 *                       received), received (bytes served to it, only in a window
 *                       that reaches a new peer or service); 0 until the source has been
 *                       seen in BASELINE_MIN_WINDOWS windows (its levels mean little before)
 *   host new_served     log(1 + services it answered on (served: protocol and
 *                       port, not refusals) and had not within the horizon,
 *                       or first in the last minutes, once it had a
 *                       repertoire): a host that starts serving.
 *   host slow X         how far the sum of X over the last minutes (decayed,
 *                       half-life 5 min) is above the source's own level of
 *                       it (as the rises), for X in flows (opened), new_peers,
 *                       new_services and failures: what a slow scan, low-rate
 *                       guessing or beaconing adds up to.
 * A sample's values come from
 * the memory before its window; then its window is added. A source has one sample a window, so
 * samples of one window can be observed in any order. Windows must come in time order: a window
 * older than the newest remembered one means another timeline (a replay of
 * older traffic), and the memory starts afresh (counted in resets). Pure: no I/O but baseline_save
 * / baseline_load. */
#ifndef FLOWSAD_BASELINE_H
#define FLOWSAD_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "features/window.h"

#define BASELINE_N_FEATURES  14
#define BASELINE_NEW_PEERS   1  /* the index of host new_peers */
#define BASELINE_NEW_SERVICES 2 /* the index of host new_services */
#define BASELINE_NEW_SERVED  9  /* the index of host new_served */
#define BASELINE_SLOW        10 /* the index of the first host slow feature */
#define BASELINE_SLOW_NEW_PEERS    (BASELINE_SLOW + 1)
#define BASELINE_SLOW_NEW_SERVICES (BASELINE_SLOW + 2)
#define BASELINE_MIN_WINDOWS 3        /* windows of a source's past before its rises count */

extern const char *const baseline_feature_names[BASELINE_N_FEATURES];

/* Whether a sample's host features (host[BASELINE_N_FEATURES]) say it
 * reaches somewhere new for its source: new peers or services in the
 * window, or over its last minutes (returns to young peers among them). */
static inline int baseline_reaches_new(const float *host)
{
	return host[BASELINE_NEW_PEERS] > 0 || host[BASELINE_NEW_SERVICES] > 0 ||
	       host[BASELINE_SLOW_NEW_PEERS] > 0 || host[BASELINE_SLOW_NEW_SERVICES] > 0;
}

struct baseline_stats {
	uint64_t hosts;     /* remembered now */
	uint64_t evicted;   /* forgotten to make room (least recently seen first) */
	uint64_t observed;  /* samples observed */
	uint64_t first_seen;/* samples whose source was not remembered */
	uint64_t resets;    /* memories dropped for traffic older than they are */
};

struct baseline;

/* A baseline remembering at most max_hosts sources (>= 1), peers and
 * services for horizon seconds (>= 2). NULL when out of memory. */
struct baseline *baseline_new(size_t max_hosts, uint32_t horizon);
/* Windows up to seconds older than the newest one observed are late, not
 * another timeline (0, the default: any older window starts the memory
 * afresh): a fleet's scorer catching up the windows of a partition it
 * took over observes them as such. */
void baseline_accept_late(struct baseline *b, uint32_t seconds);
void baseline_free(struct baseline *b);

/* Writes the features of sample (src, window_start, counters c) relative to
 * src's memory into out[BASELINE_N_FEATURES], then remembers the window.
 * Needs no memory beyond the bound set at baseline_new. */
void baseline_observe(struct baseline *b, int64_t window_start, const ip_addr *src,
		      const struct window_counters *c, float *out);

/* A hint for a source that baseline_observe or baseline_note_score will
 * look up soon (a window's sources are spread over the table): stage 0
 * fetches its slot, stage 1 (some samples later) the host it holds. */
void baseline_prefetch(const struct baseline *b, const ip_addr *src, int stage);

/* Scores: each source's own usual level, one for each side of what it does
 * (the score of what it opened, the score of what it served: a web server's
 * serving scores high all day, and that level must not shelter what it
 * opens). After a window is scored, its samples' scores are noted; the
 * usual score of a source on a side is exp(m + k s) - 1 for the decayed
 * mean m and deviation s of log(1 + score) over its scored windows
 * (half-life a day, k = BASELINE_SCORE_SIGMAS), or NAN until it has
 * BASELINE_MIN_SCORED of them. A score far above it is news; one within it
 * is that source's normal. */
#define BASELINE_SCORE_SIGMAS 3.0
#define BASELINE_MIN_SCORED 6
enum { BASELINE_OPENED, BASELINE_SERVED, BASELINE_SIDES };
double baseline_usual_score(const struct baseline *b, const ip_addr *src, int side);
/* Notes src's (scaled) score of side in the window that starts at
 * window_start (a source not remembered is ignored), counted up to the
 * alert threshold. The usual score is how the source scores while nothing
 * happens; above the threshold its incidents take over. Counted whole, a
 * flood's windows made a host's usual score hundreds of thousands and held
 * back its next, unrelated anomaly; capped at the usual score itself, a
 * flood raised it window after window all the same. */
void baseline_note_score(struct baseline *b, const ip_addr *src, int64_t window_start, int side,
			 double score, double threshold);

/* What src began serving in the last minutes (one or two YOUNG_PERIODs of
 * baseline.c), once seen for some minutes: whether served (a window's
 * sketch of the services src served, observed already) holds a service it
 * first served then, and whether client is a peer it first answered then. */
int baseline_serves_young(const struct baseline *b, const ip_addr *src, const uint64_t *served);
int baseline_young_client(const struct baseline *b, const ip_addr *src, const ip_addr *client);
/* How many of clients (a window's sketch of the peers src answered) src
 * first answered in the last minutes. */
double baseline_young_clients(const struct baseline *b, const ip_addr *src,
			      const uint64_t *clients);
/* Whether src's window (counters c, observed already) reaches something
 * young for src besides peer and one service of it: another peer first
 * reached in the last minutes (this window too), or a second such service.
 * What a host does besides using a new service is its own news. */
int baseline_young_besides(const struct baseline *b, const ip_addr *src,
			   const struct window_counters *c, const ip_addr *peer);

const struct baseline_stats *baseline_stats(const struct baseline *b);

/* The memory to a file (written beside it and renamed: a crash leaves the
 * old one) and back. load replaces b's memory (its bound stays; the most
 * recently seen sources are kept when the file holds more). Return 0, or
 * -errno (-EINVAL: not a baseline file, or damaged) with the reason in err;
 * b's memory is then empty or unchanged. */
int baseline_save(const struct baseline *b, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
int baseline_load(struct baseline *b, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* The same from and to memory: the file's bytes (caller frees *out), and a
 * buffer of len bytes (untrusted: every length checked). */
int baseline_encode(const struct baseline *b, uint8_t **out, size_t *len)
	__attribute__((warn_unused_result));
int baseline_decode(struct baseline *b, const uint8_t *buf, size_t len, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* One source's memory as a record of baseline_record_size() bytes, for
 * another process to continue it (a scorer that takes a partition over):
 * format, the source's memory, CRC-32. export writes src's into rec and
 * returns 1, or 0 when b does not remember src. */
size_t baseline_record_size(void);
int baseline_export_host(const struct baseline *b, const ip_addr *src, uint8_t *rec);
/* Every remembered source's record into rec, max at most (the most recently
 * seen first). Returns how many were written. */
size_t baseline_export_hosts(const struct baseline *b, uint8_t *rec, size_t max);
/* The source a record (baseline_record_size() bytes) says it is of. */
void baseline_record_source(const uint8_t *rec, ip_addr *src);
/* Takes the memory a record holds (untrusted: checked) in place of b's of
 * that source, unless b's saw a later window; the source becomes the most
 * recently seen. Returns 0, or -EINVAL with the reason in err (b unchanged). */
int baseline_import_host(struct baseline *b, const uint8_t *rec, size_t len, char *err,
			 size_t errlen) __attribute__((warn_unused_result));

#endif
