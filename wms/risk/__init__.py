"""Graded risk warnings (分类分级风险预警): rules over the recent business, warnings kept
against the documents they concern, acknowledged by people."""
