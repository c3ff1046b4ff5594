"""Reports: aggregated statistics (汇总统计) of cross-border trade."""
