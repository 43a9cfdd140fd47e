"""Documents the user adds: conversion, structure detection, storage in the user data folder."""
