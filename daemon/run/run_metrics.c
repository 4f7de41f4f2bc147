/* The windows' metrics (run_metrics.h). */
#include "run/run_metrics.h"

#include "common/metrics.h"
#include "windows/windows.h"

void run_metrics_windows(void *ctx, FILE *out)
{
	const struct windows *w = ctx;
	struct window_stats st;
	windows_stats(w, &st);
	metrics_value(out, "events_total", "counter",
		      "Packets and flow records offered to the window table.", NULL,
		      (double)st.packets);
	metrics_value(out, "samples_total", "counter", "Samples (window, source) closed.", NULL,
		      (double)st.samples);
	metrics_value(out, "windows_total", "counter", "Windows closed.", NULL, (double)st.windows);
	metrics_value(out, "evicted_total", "counter",
		      "Events dropped: their window was full of sources.", NULL,
		      (double)st.evicted);
	metrics_value(out, "late_total", "counter", "Events dropped: their window had closed.",
		      NULL, (double)st.late);
	metrics_value(out, "filtered_total", "counter",
		      "Events the detection unit's filter left out.", NULL, (double)st.filtered);
	metrics_value(out, "sample_memory_bytes", "gauge",
		      "Memory held by the open windows' samples.", NULL, (double)st.bytes);
	uint64_t windows;
	struct merge_stats merged;
	if (!windows_merge_stats(w, &windows, &merged))
		return;
	metrics_value(out, "merge_joined_samples_total", "counter",
		      "Sources whose packets reached several capture workers (through tunnels), "
		      "joined into one sample.",
		      NULL, (double)merged.joined);
	metrics_value(out, "merge_answers_total", "counter",
		      "Answers one capture worker counted for a host another one holds, applied "
		      "when the window was merged.",
		      NULL, (double)merged.answers);
}

void run_metrics_alerts(void *ctx, FILE *out)
{
	const struct windows *w = ctx;
	struct score_counts n;
	windows_counts(w, &n);
	const struct scorer_stats *s = &n.scorer;
	metrics_value(out, "alerts_total", "counter", "Alerts made.", NULL,
		      s ? (double)s->alerts : 0);
	metrics_value(
		out, "alerts_suppressed_total", "counter",
		"Alerts held back: the source repeated what its open incident was alerted for.",
		NULL, s ? (double)s->suppressed : 0);
	metrics_value(out, "incidents_ended_total", "counter",
		      "Incidents told as ended (their source quiet for 3 windows).", NULL,
		      s ? (double)s->incidents_ended : 0);
	metrics_value(out, "alerts_within_usual_total", "counter",
		      "Samples above the threshold held back: within their source's usual score.",
		      NULL, s ? (double)s->usual : 0);
	metrics_value(out, "alerts_answering_total", "counter",
		      "Samples above the threshold held back: what their source served was "
		      "provoked by others (no new service, or a client alerted itself).",
		      NULL, s ? (double)s->answering : 0);
	metrics_value(out, "alerts_young_service_users_total", "counter",
		      "Samples above the threshold held back: the first users of a service a host "
		      "began serving lately, told as that host's alert.",
		      NULL, s ? (double)s->young_service_users : 0);
	metrics_value(out, "alert_threshold", "gauge",
		      "The alert threshold of the last window scored.", NULL, s ? s->threshold : 0);
	metrics_value(out, "score_pending_windows", "gauge",
		      "Closed windows handed to the score thread, not yet back.", NULL,
		      (double)n.pending);
	metrics_value(out, "score_waits_total", "counter",
		      "Closed windows the capture loop waited to hand over (the score thread fell "
		      "behind).",
		      NULL, (double)n.waits);
	{
		const struct baseline_stats *b = &n.baseline;
		metrics_value(out, "baseline_sources", "gauge",
			      "Sources remembered across windows.", NULL, (double)b->hosts);
		metrics_value(out, "baseline_evicted_total", "counter",
			      "Sources forgotten to stay within [baseline] max_hosts.", NULL,
			      (double)b->evicted);
		metrics_value(out, "baseline_first_seen_total", "counter",
			      "Samples of sources not remembered.", NULL, (double)b->first_seen);
	}
	metrics_value(out, "windows_scored_total", "counter", "Windows scored.", NULL,
		      s ? (double)s->windows : 0);
}

void run_metrics_model(void *ctx, FILE *out)
{
	const struct windows *w = ctx;
	time_t made;
	windows_model_id(w, &made);
	uint64_t have, need;
	int learning = windows_learning(w, &have, &need);
	metrics_value(out, "learning", "gauge", "1 while no model exists yet (a cold start).", NULL,
		      learning);
	metrics_value(
		out, "history_windows", "gauge",
		"Windows in the history (all of it at a cold start and after a retraining; else "
		"those since the newest day's).",
		NULL, (double)have);
	metrics_value(out, "model_created_timestamp_seconds", "gauge",
		      "When the model in use was made, in seconds since the epoch (0 while "
		      "learning).",
		      NULL, learning ? 0 : (double)made);
	metrics_value(out, "history_lost_windows_total", "counter",
		      "Windows the history could not keep (its disk full, I/O errors).", NULL,
		      (double)windows_history_lost(w));
}
