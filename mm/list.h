/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intrusive circular doubly linked lists.
 *
 * The same shape as the kernel's list_head so code reads familiarly, written
 * here so that mm/ needs nothing from its environment. An empty list is a
 * head that points at itself; kslab_list_init() must run before first use.
 */
#ifndef KSLAB_LIST_H
#define KSLAB_LIST_H

#include "compiler.h"

struct kslab_list_head {
	struct kslab_list_head *next;
	struct kslab_list_head *prev;
};

static inline void kslab_list_init(struct kslab_list_head *head)
{
	head->next = head;
	head->prev = head;
}

static inline bool kslab_list_empty(const struct kslab_list_head *head)
{
	return head->next == head;
}

static inline void kslab_list_insert(struct kslab_list_head *node,
				     struct kslab_list_head *prev,
				     struct kslab_list_head *next)
{
	next->prev = node;
	node->next = next;
	node->prev = prev;
	prev->next = node;
}

/* Insert @node right after @head: LIFO order, the hottest entry first. */
static inline void kslab_list_add(struct kslab_list_head *node,
				  struct kslab_list_head *head)
{
	kslab_list_insert(node, head, head->next);
}

static inline void kslab_list_add_tail(struct kslab_list_head *node,
				       struct kslab_list_head *head)
{
	kslab_list_insert(node, head->prev, head);
}

/* Unlink @node and leave it self-linked so a second removal is harmless. */
static inline void kslab_list_del(struct kslab_list_head *node)
{
	node->next->prev = node->prev;
	node->prev->next = node->next;
	kslab_list_init(node);
}

/* Move every entry of @list to the front of @head; @list is left empty. */
static inline void kslab_list_splice(struct kslab_list_head *list,
				     struct kslab_list_head *head)
{
	if (kslab_list_empty(list))
		return;
	list->prev->next = head->next;
	head->next->prev = list->prev;
	head->next = list->next;
	list->next->prev = head;
	kslab_list_init(list);
}

#define kslab_list_entry(ptr, type, member) kslab_container_of(ptr, type, member)

#define kslab_list_first_entry(head, type, member) \
	kslab_list_entry((head)->next, type, member)

#define kslab_list_for_each_entry(pos, head, member)				\
	for (pos = kslab_list_entry((head)->next, __typeof__(*pos), member);	\
	     &pos->member != (head);						\
	     pos = kslab_list_entry(pos->member.next, __typeof__(*pos), member))

#define kslab_list_for_each_entry_reverse(pos, head, member)			\
	for (pos = kslab_list_entry((head)->prev, __typeof__(*pos), member);	\
	     &pos->member != (head);						\
	     pos = kslab_list_entry(pos->member.prev, __typeof__(*pos), member))

#define kslab_list_for_each_entry_safe(pos, tmp, head, member)			\
	for (pos = kslab_list_entry((head)->next, __typeof__(*pos), member),	\
	     tmp = kslab_list_entry(pos->member.next, __typeof__(*pos), member);\
	     &pos->member != (head);						\
	     pos = tmp,								\
	     tmp = kslab_list_entry(tmp->member.next, __typeof__(*tmp), member))

#endif /* KSLAB_LIST_H */
