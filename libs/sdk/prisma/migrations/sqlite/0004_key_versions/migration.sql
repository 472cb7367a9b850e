-- CreateTable
CREATE TABLE "KeyVersion" (
    "projectId" TEXT NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" DATETIME NOT NULL
);
