"""Fangkong (防控): epidemic prevention and control for a city and everything below it."""

__version__ = "0.1.0"
