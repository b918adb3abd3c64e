/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel side of KSLAB_TRACE() (mm/port.h): one tracepoint per
 * slow-path event, kslab:kslab_<event>, with the two arguments the
 * userspace USDT probes carry (Documentation/perf.rst). Included by
 * kernel/port.h; kernel/port.c instantiates them.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kslab

#if !defined(KSLAB_TRACE_KERNEL_H) || defined(TRACE_HEADER_MULTI_READ)
#define KSLAB_TRACE_KERNEL_H

#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(kslab_event,
	TP_PROTO(unsigned long arg1, unsigned long arg2),
	TP_ARGS(arg1, arg2),
	TP_STRUCT__entry(
		__field(unsigned long, arg1)
		__field(unsigned long, arg2)
	),
	TP_fast_assign(
		__entry->arg1 = arg1;
		__entry->arg2 = arg2;
	),
	TP_printk("arg1=%lu arg2=%lu", __entry->arg1, __entry->arg2)
);

#define KSLAB_DEFINE_EVENT(name)					\
	DEFINE_EVENT(kslab_event, kslab_##name,				\
		     TP_PROTO(unsigned long arg1, unsigned long arg2),	\
		     TP_ARGS(arg1, arg2))

KSLAB_DEFINE_EVENT(alloc_miss);
KSLAB_DEFINE_EVENT(free_miss);
KSLAB_DEFINE_EVENT(magazine_swap);
KSLAB_DEFINE_EVENT(depot_get);
KSLAB_DEFINE_EVENT(depot_put);
KSLAB_DEFINE_EVENT(slab_grow);
KSLAB_DEFINE_EVENT(slab_free);
KSLAB_DEFINE_EVENT(buddy_split);
KSLAB_DEFINE_EVENT(buddy_merge);
KSLAB_DEFINE_EVENT(chunk_map);
KSLAB_DEFINE_EVENT(chunk_unmap);
KSLAB_DEFINE_EVENT(reap);

#endif /* KSLAB_TRACE_KERNEL_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
