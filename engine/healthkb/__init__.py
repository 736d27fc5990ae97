"""healthkb"""
