"""Enterprises: owners of goods, e-commerce platforms, logistics companies, agents, carriers."""
