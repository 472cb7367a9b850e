-- CreateTable
CREATE TABLE "KeyVersion" (
    "projectId" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "KeyVersion_pkey" PRIMARY KEY ("projectId")
);
